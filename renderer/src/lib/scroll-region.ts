/**
 * A box of a server's text held to a height, which scrolls (a message of thousands of lines put the
 * answer's buttons a screen's height below for every few dozen). Once its text runs past that
 * height it takes the keyboard (Tab), so its arrows scroll it; a short one is no stop on the way.
 */
export function scrollRegion(node: HTMLElement): { destroy(): void } {
  const check = (): void => {
    if (node.scrollHeight > node.clientHeight) node.tabIndex = 0;
    else node.removeAttribute('tabindex');
  };
  const observer = new ResizeObserver(check);
  observer.observe(node);
  check();
  return { destroy: () => observer.disconnect() };
}
