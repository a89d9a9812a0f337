import ts from 'typescript';
import fs from 'node:fs';
import { execSync } from 'node:child_process';
const files = execSync("git ls-files 'src/*.ts' 'test/*.ts' 'bench/*.ts'", { encoding: 'utf8' }).split('\n').filter(Boolean);
const codes = new Map(); // code -> {statuses:Set, details:[] , files:Set}
const leftovers = [];
const HELPERS = { badRequest: 400, notFound: 404, conflict: 409 };
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edits = [];
  const visit = (node) => {
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'SignetError' && node.arguments) {
      const [a0, a1, a2] = node.arguments;
      if (a0 && a1 && ts.isStringLiteral(a0) && ts.isNumericLiteral(a1)) {
        const c = codes.get(a0.text) ?? { statuses: new Set(), details: [], files: new Set() };
        c.statuses.add(Number(a1.text)); c.files.add(file);
        if (a2 && (ts.isStringLiteral(a2) || ts.isNoSubstitutionTemplateLiteral(a2))) c.details.push(a2.text);
        codes.set(a0.text, c);
        edits.push([a0.end, a1.end, '']);
      } else {
        leftovers.push(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText().slice(0, 100).replace(/\s+/g, ' ')}`);
      }
    }
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && HELPERS[node.expression.text] && node.arguments.length >= 2) {
      const [a0, a1] = node.arguments;
      if (ts.isStringLiteral(a0)) {
        const c = codes.get(a0.text) ?? { statuses: new Set(), details: [], files: new Set() };
        c.statuses.add(HELPERS[node.expression.text]); c.files.add(file);
        if (ts.isStringLiteral(a1) || ts.isNoSubstitutionTemplateLiteral(a1)) c.details.push(a1.text);
        codes.set(a0.text, c);
        edits.push([node.expression.getStart(), node.expression.end, 'new SignetError']);
      } else leftovers.push(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}: helper ${node.getText().slice(0, 100)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (process.argv[2] === 'write' && edits.length) {
    let out = text;
    for (const [s, e, r] of edits.sort((x, y) => y[0] - x[0])) out = out.slice(0, s) + r + out.slice(e);
    fs.writeFileSync(file, out);
  }
}
const rows = [...codes].sort(([a], [b]) => a.localeCompare(b));
for (const [code, c] of rows) console.log(code, [...c.statuses].join('/'), '|', c.details[0] ?? '', '|', [...c.files].map(f=>f.replace(/^src\//,'')).join(','));
console.log('--- leftovers');
console.log(leftovers.join('\n'));
fs.writeFileSync('.scratch/codes.json', JSON.stringify(rows.map(([code, c]) => ({ code, statuses: [...c.statuses], details: c.details, files: [...c.files] })), null, 1));
