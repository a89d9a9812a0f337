import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { setupI18n } from '../shared/i18n.ts';
import '../shared/base.css';
import { Ceremony } from './Ceremony.tsx';
import { signResources } from './resources.ts';

await setupI18n(signResources, ['sign']);
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Ceremony />
  </StrictMode>,
);
