/** Screens by the address's fragment (#/traffic), so a reload or a link keeps the place. */
export const SCREENS = [
  { id: 'overview', label: 'Overview' },
  { id: 'servers', label: 'Servers' },
  { id: 'traffic', label: 'Traffic' },
  { id: 'questions', label: 'Questions' },
  { id: 'profiles', label: 'Profiles' },
  { id: 'secrets', label: 'Secrets' },
  { id: 'clients', label: 'Clients' },
  { id: 'settings', label: 'Settings' },
] as const;

export type ScreenId = (typeof SCREENS)[number]['id'];

function fromHash(): ScreenId {
  const id = location.hash.replace(/^#\/?/, '').split('/')[0];
  return SCREENS.find((s) => s.id === id)?.id ?? 'overview';
}

export class Router {
  screen = $state<ScreenId>(fromHash());

  constructor() {
    window.addEventListener('hashchange', () => (this.screen = fromHash()));
  }

  go(screen: ScreenId): void {
    location.hash = `#/${screen}`;
    this.screen = screen;
  }
}
