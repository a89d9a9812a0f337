import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { setupI18n } from '../shared/i18n.ts';
import '../shared/base.css';
import './app.css';
import { App } from './App.tsx';
import { appResources } from './resources.ts';

await setupI18n(appResources, ['app']);
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
