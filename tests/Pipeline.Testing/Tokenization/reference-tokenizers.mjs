// Reference encoder for the parity tests: Hugging Face `tokenizers` (Rust core, npm binding).
// Usage: node reference-tokenizers.mjs TOKENIZER_JSON < texts.json  ->  {"ids": [[...]], "decoded": ["..."]}
// Texts are encoded with added-token matching and without post-processor specials (add_special_tokens=False).
import { readFileSync } from 'node:fs';
import tokenizers from 'tokenizers';

const tokenizer = tokenizers.Tokenizer.fromFile(process.argv[2]);
const texts = JSON.parse(readFileSync(0, 'utf8'));
const ids = [];
const decoded = [];
for (const text of texts) {
  const encoding = await tokenizer.encode(text, null, { addSpecialTokens: false });
  ids.push(encoding.getIds());
  decoded.push(await tokenizer.decode(encoding.getIds(), false));
}
process.stdout.write(JSON.stringify({ ids, decoded }));
