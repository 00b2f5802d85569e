// Reference chat-template renderer: Hugging Face's own Jinja (@huggingface/jinja), as apply_chat_template renders.
// Usage: node reference-jinja.mjs < [{template, messages, add_generation_prompt, bos_token, eos_token}]
//   ->  [{"text": "..."} or {"error": "..."}] (a template's raise_exception becomes an error entry)
import { readFileSync } from 'node:fs';
import { Template } from '@huggingface/jinja';

const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = cases.map(c => {
  try {
    return {
      text: new Template(c.template).render({
        messages: c.messages,
        add_generation_prompt: c.add_generation_prompt,
        bos_token: c.bos_token ?? '',
        eos_token: c.eos_token ?? '',
      }),
    };
  } catch (e) {
    return { error: String(e.message ?? e) };
  }
});
process.stdout.write(JSON.stringify(out));
