import { mount } from 'svelte';
import App from './App.svelte';
import { connect } from './lib/api.ts';
import { applyTheme, savedTheme } from './lib/theme.ts';
import './app.css';

applyTheme(savedTheme());
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
