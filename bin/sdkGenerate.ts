// `npm run sdk:generate`: boots Signet without listening, writes its OpenAPI document to
// sdk/openapi.json and the types openapi-typescript makes of it to sdk/src/schema.ts. Commit
// both: test/sdk/drift.test.ts fails while they differ from what the routes produce.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentServerDocument, documentText, SDK_DOCUMENT, SDK_TYPES, sdkTypesText } from './sdkContract.ts';

const document = await currentServerDocument();
writeFileSync(SDK_DOCUMENT, documentText(document));
writeFileSync(SDK_TYPES, await sdkTypesText(document));
const paths = Object.keys(document.paths ?? {}).length;
process.stderr.write(`sdk: ${paths} paths → ${fileURLToPath(SDK_DOCUMENT)}, ${fileURLToPath(SDK_TYPES)}\n`);
