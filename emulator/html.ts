// The few HTML pages the emulator shows to people (IAP sign-in, mailbox): escaping and one page shell.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** A complete, self-contained HTML document (inline styles, no external assets); `body` must already be escaped. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.45; }
  body { margin: 0; padding: 2rem 1rem; }
  main { max-width: 52rem; margin: 0 auto; }
  h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
  h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
  .note { color: GrayText; font-size: .9rem; }
  .error { border: 2px solid #b3261e; border-radius: .4rem; padding: .6rem .8rem; }
  .status { border: 2px solid #1a7f37; border-radius: .4rem; padding: .6rem .8rem; }
  ul.choices { list-style: none; padding: 0; display: grid; gap: .5rem; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); }
  button { font: inherit; width: 100%; text-align: left; padding: .6rem .8rem; border: 1px solid ButtonBorder; border-radius: .4rem; background: ButtonFace; color: ButtonText; cursor: pointer; }
  button:hover { filter: brightness(.95); }
  :focus-visible { outline: 3px solid Highlight; outline-offset: 2px; }
  fieldset { border: 0; padding: 0; margin: 0; }
  legend { font-weight: 600; margin-bottom: .5rem; }
  article { border: 1px solid GrayText; border-radius: .4rem; padding: 1rem; margin: 1rem 0; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: 0 0 .8rem; }
  dt { font-weight: 600; }
  dd { margin: 0; overflow-wrap: anywhere; }
  iframe { width: 100%; height: 22rem; border: 1px solid GrayText; border-radius: .3rem; background: #fff; resize: vertical; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; }
  code, button { overflow-wrap: anywhere; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
