#!/usr/bin/env node
// The `signet` command. Runs the TypeScript sources directly through tsx, so a checkout needs
// no build step: `npm install` and it works.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
