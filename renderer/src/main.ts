import { mount } from 'svelte';
import App from './App.svelte';
import { connect, inDesktopApp } from './lib/api.ts';
import { applyBrowserTheme } from './lib/theme.ts';
import './app.css';

// The desktop app applies its theme to the window itself (nativeTheme), before the page loads.
if (!inDesktopApp()) applyBrowserTheme();
const target = document.getElementById('app')!;
void connect().then((connection) => {
  mount(App, { target, props: { connection } });
  // A login link opened in a tab already showing the UI changes only the address's fragment:
  // the page is loaded again so the link is redeemed, as in a new tab.
  if (connection.mode === 'browser')
    window.addEventListener('hashchange', () => {
      if (location.hash.startsWith('#login=')) location.reload();
    });
});
