import { escapeHtml } from './html-escape.js'

/** Where the page's own files are served (dist/web). */
export const ASSETS = '/assets'

/**
 * A whole page around its body. The nonce lets the page's own script add the
 * style elements xterm.js makes (see contentSecurityPolicy); nothing of a lab
 * is ever markup, so a lab cannot reach it.
 */
export function pageHtml(opts: { title: string; body: string; nonce: string; bodyAttrs?: Record<string, string> }): string {
  const attrs = Object.entries(opts.bodyAttrs ?? {})
    .map(([k, v]) => ` ${k}="${escapeHtml(v)}"`)
    .join('')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="nslab-style-nonce" content="${escapeHtml(opts.nonce)}">
<title>${escapeHtml(opts.title)}</title>
<link rel="icon" href="${ASSETS}/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS}/page.css">
<script type="module" src="${ASSETS}/page.js"></script>
</head>
<body${attrs}>
${opts.body}
</body>
</html>
`
}

/**
 * Only nslab's own script (from this server) runs, and only its own styles
 * apply: its stylesheet, and the style elements its script makes with the
 * page's nonce (xterm.js sets a terminal's colours and cell size that way).
 * Style attributes are allowed because xterm.js colours truecolor text with
 * them; a lab's text never becomes markup, so none of them is a lab's. The
 * page connects only to this server (its WebSockets), loads nothing from
 * elsewhere, and cannot be framed.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    `style-src-elem 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}
