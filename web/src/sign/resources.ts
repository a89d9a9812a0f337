import type { Resource } from 'i18next';
import deSign from '../i18n/de/sign.json';
import enSign from '../i18n/en/sign.json';

export const signResources: Resource = { en: { sign: enSign }, de: { sign: deSign } };
