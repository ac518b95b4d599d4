/**
 * The keyboard to the field a refusal is about, once it shows as invalid: its message is read out
 * with it. A group of choices (a fieldset) is marked by the message it points to.
 */
import { tick } from 'svelte';

export async function focusInvalid(root: ParentNode | null | undefined = document): Promise<void> {
  await tick();
  root?.querySelector<HTMLElement>('[aria-invalid="true"], fieldset[aria-describedby]')?.focus();
}
