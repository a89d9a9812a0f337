import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';

/** The sender workspace's routes; pages live beside this file, one folder per area. */
export function App() {
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/" element={<Navigate to="/app" replace />} />
        <Route path="/app/*" element={<Placeholder />} />
        <Route path="*" element={<Placeholder />} />
      </Routes>
    </BrowserRouter>
  );
}

function Placeholder() {
  const { t } = useTranslation();
  return (
    <main>
      <h1>{t('productName')}</h1>
    </main>
  );
}
