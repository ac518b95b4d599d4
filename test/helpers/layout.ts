/**
 * What a narrow window does to a screen's text, measured in the page: words broken over two lines, and a
 * page that scrolls sideways.
 */
import type { Locator, Page } from 'playwright-core';

/**
 * The words of up to 16 characters (a short name, "--profile", a count) that the page shows broken
 * over two lines or more, within `within`.
 */
export async function brokenWords(within: Locator): Promise<string[]> {
  return within.evaluate((root) => {
    const broken: string[] = [];
    const doc = root.ownerDocument;
    // 4: NodeFilter.SHOW_TEXT, its text nodes.
    const walker = doc.createTreeWalker(root, 4);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of (node.textContent ?? '').matchAll(/\S{1,16}(?!\S)/g)) {
        if (match.index > 0 && /\S/.test(node.textContent![match.index - 1]!)) continue;
        const range = doc.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
    return broken;
  });
}

/** How many lines `text` is drawn on, within the first text node of `within` that holds it whole. */
export async function linesOf(within: Locator, text: string): Promise<number> {
  return within.evaluate((root, wanted) => {
    const doc = root.ownerDocument;
    const walker = doc.createTreeWalker(root, 4);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = (node.textContent ?? '').indexOf(wanted);
      if (at === -1) continue;
      const range = doc.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + wanted.length);
      return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
    }
    return 0;
  }, text);
}

/** How far the screen (its main part, or the whole page in a narrow window) runs past the window's right edge. */
export async function pastTheEdge(page: Page): Promise<number> {
  const [main, whole] = (await page.evaluate(
    '[document.querySelector("main").scrollWidth - document.querySelector("main").clientWidth, ' +
      'document.documentElement.scrollWidth - window.innerWidth]',
  )) as [number, number];
  return Math.max(main, whole);
}
