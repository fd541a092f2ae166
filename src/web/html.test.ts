import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { escapeHtml, html, REFUSED_URL, raw, SafeHtml, safeUrl } from './html.ts';

const render = (s: SafeHtml) => s.toString();
const UNESCAPES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' };

describe('html: text', () => {
  test('escapes the characters that open markup, entities and quotes', () => {
    assert.equal(
      render(html`<p>${'<script>alert("x") & \'y\' `z`</script>'}</p>`),
      '<p>&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39; &#96;z&#96;&lt;/script&gt;</p>',
    );
  });

  test('does not double-escape, and escapes entity look-alikes', () => {
    assert.equal(render(html`${'&lt;'}`), '&amp;lt;');
  });

  test('numbers are printed; null, undefined and false are nothing; true is text', () => {
    assert.equal(render(html`${0}|${42}|${null}|${undefined}|${false}|${true}`), '0|42||||true');
  });

  test('objects are escaped through their string form', () => {
    const sneaky = { toString: () => '<b>bold</b>' };
    assert.equal(render(html`${sneaky}`), '&lt;b&gt;bold&lt;/b&gt;');
  });

  test('no string, whatever it holds, survives as markup, and escaping loses nothing', () => {
    const decodeEntities = (t: string) =>
      t.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, e: string) => UNESCAPES[e]!);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const escaped = escapeHtml(s);
        assert.doesNotMatch(escaped, /[<>"'`]/);
        assert.equal(decodeEntities(escaped), s);
        assert.equal(render(html`<p title="${s}">${s}</p>`), `<p title="${escaped}">${escaped}</p>`);
      }),
    );
  });
});

describe('html: attributes', () => {
  test('a value cannot close its double-quoted attribute', () => {
    const out = render(html`<input value="${'" autofocus onfocus="alert(1)'}">`);
    assert.equal(out, '<input value="&quot; autofocus onfocus=&quot;alert(1)">');
  });

  test('single quotes are escaped too', () => {
    assert.equal(render(html`<a title="${"x' onmouseover='y"}">`), '<a title="x&#39; onmouseover=&#39;y">');
  });

  test('an unquoted attribute value is refused outright', () => {
    assert.throws(() => html`<input value=${'x onfocus=alert(1)'}>`, /unquoted attribute/);
    assert.throws(() => html`<a href=${'/x'}>`, /unquoted attribute/);
  });

  test('spaces around "=" do not hide an unquoted value (so text ending in " x =" before a value is refused too)', () => {
    assert.throws(() => html`<input value = ${'x'}>`, /unquoted attribute/);
    assert.throws(() => html`<input value= ${'x'}>`, /unquoted attribute/);
    assert.throws(() => html`<p>so a = ${1}</p>`, /unquoted attribute/);
    assert.equal(render(html`<p>a: ${1}</p>`), '<p>a: 1</p>');
  });

  test('spaced or single-quoted URL attributes are still checked', () => {
    assert.equal(render(html`<a href = "${'javascript:x'}">`), `<a href = "${REFUSED_URL}">`);
    assert.equal(render(html`<a href='${'javascript:x'}'>`), `<a href='${REFUSED_URL}'>`);
    assert.equal(render(html`<img srcset="${'javascript:x'}">`), `<img srcset="${REFUSED_URL}">`);
  });
});

describe('html: URLs', () => {
  for (const bad of [
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    '\u0001javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    'vbscript:msgbox(1)',
    'data:text/html,<script>alert(1)</script>',
  ]) {
    test(`refuses ${JSON.stringify(bad)} in href, src, action and formaction`, () => {
      assert.equal(safeUrl(bad), REFUSED_URL);
      assert.equal(render(html`<a href="${bad}">`), `<a href="${REFUSED_URL}">`);
      assert.equal(render(html`<img src="${bad}">`), `<img src="${REFUSED_URL}">`);
      assert.equal(render(html`<form action="${bad}">`), `<form action="${REFUSED_URL}">`);
      assert.equal(render(html`<button formaction="${bad}">`), `<button formaction="${REFUSED_URL}">`);
    });
  }

  test('keeps relative, fragment, http(s) and mailto URLs, escaped', () => {
    for (const good of [
      '/login/acme',
      '#domain',
      '?a=1&b=2',
      'https://example.com/a?b=1&c=2',
      'mailto:a@b.c',
    ]) {
      assert.equal(safeUrl(good), good);
      assert.equal(render(html`<a href="${good}">`), `<a href="${escapeHtml(good)}">`);
    }
  });

  test('a colon after a path or query is not a scheme', () => {
    assert.equal(safeUrl('/a:b'), '/a:b');
    assert.equal(safeUrl('./javascript:x'), './javascript:x');
  });

  test('outside URL attributes a javascript: string is ordinary (escaped) text', () => {
    assert.equal(
      render(html`<p title="${'javascript:x'}">${'javascript:x'}</p>`),
      '<p title="javascript:x">javascript:x</p>',
    );
  });
});

describe('html: nesting, arrays and raw', () => {
  test('nested templates are inserted as markup, their values still escaped', () => {
    const inner = html`<b>${'<i>'}</b>`;
    assert.equal(render(html`<p>${inner}</p>`), '<p><b>&lt;i&gt;</b></p>');
  });

  test('arrays are concatenated, each element by the same rules', () => {
    const items = ['<a>', html`<li>ok</li>`, null, ['x', '&']];
    assert.equal(render(html`<ul>${items}</ul>`), '<ul>&lt;a&gt;<li>ok</li>x&amp;</ul>');
  });

  test('a URL attribute refuses arrays and second values that could complete a scheme', () => {
    assert.throws(() => html`<a href="${['javascript', ':x']}">`, /not an array/);
    assert.throws(() => html`<a href="${'javascript'}${':alert(1)'}">`, /one value/);
    assert.throws(() => html`<a href="${'javascript'}:${'alert(1)'}">`, /one value/);
  });

  test('a literal start of a URL attribute must fix the scheme', () => {
    assert.throws(() => html`<a href="java${'script:alert(1)'}">`, /fixing the scheme/);
    assert.throws(() => html`<a href="javascript${':alert(1)'}">`, /fixing the scheme/);
    assert.equal(render(html`<a href="/login/${'a:b'}/x/${'y'}">`), '<a href="/login/a:b/x/y">');
    assert.equal(render(html`<a href="#${'domain'}">`), '<a href="#domain">');
  });

  test('after a URL attribute closes, values are ordinary again', () => {
    assert.equal(
      render(html`<a href="${'/x'}" title="${'javascript:x'}">${'y'}</a>`),
      '<a href="/x" title="javascript:x">y</a>',
    );
  });

  test('raw marks a trusted string as markup; html returns SafeHtml', () => {
    assert.equal(render(html`<div>${raw('<form id="f"></form>')}</div>`), '<div><form id="f"></form></div>');
    assert.ok(html`x` instanceof SafeHtml);
    assert.equal(`${html`<b>${'&'}</b>`}`, '<b>&amp;</b>');
  });
});
