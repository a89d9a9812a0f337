import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { setupI18n } from '../shared/i18n.ts';
import '../shared/base.css';
// The three handwriting faces a typed signature can take, shipped with Signet: every subset is
// declared with its unicode-range, and a browser fetches only those the text needs.
import '@fontsource/caveat/400.css';
import '@fontsource/dancing-script/400.css';
import '@fontsource/homemade-apple/400.css';
import './sign.css';
import { Ceremony } from './Ceremony.tsx';
import { signResources } from './resources.ts';

/** The link's token is the last segment of /sign/{token}. */
const token = decodeURIComponent(window.location.pathname.split('/').filter(Boolean).pop() ?? '');

await setupI18n(signResources, ['sign']);
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Ceremony token={token} />
  </StrictMode>,
);
