import type { Resource } from 'i18next';
import deApp from '../i18n/de/app.json';
import enApp from '../i18n/en/app.json';

export const appResources: Resource = { en: { app: enApp }, de: { app: deApp } };
