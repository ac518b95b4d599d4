/**
 * The keyboard to the field a refusal is about, once it shows as invalid: its message is read out
 * with it. A group of choices (a fieldset, focusable with tabindex="-1") is marked by the message
 * it points to (a `.field-error`): it may point to its description too, which marks nothing.
 */
import { tick } from 'svelte';

const pointsToError = (el: Element) =>
  (el.getAttribute('aria-describedby') ?? '')
    .split(/\s+/)
    .some((id) => id !== '' && document.getElementById(id)?.classList.contains('field-error') === true);

export async function focusInvalid(root: ParentNode | null | undefined = document): Promise<void> {
  await tick();
  const candidates = root?.querySelectorAll<HTMLElement>('[aria-invalid="true"], fieldset[aria-describedby]') ?? [];
  [...candidates].find((el) => el.tagName !== 'FIELDSET' || pointsToError(el))?.focus();
}
