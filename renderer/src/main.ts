import { mount } from 'svelte';
import App from './App.svelte';
import { connect } from './lib/api.ts';
import { applyTheme, savedTheme } from './lib/theme.ts';
import './app.css';

applyTheme(savedTheme());
const target = document.getElementById('app')!;
void connect().then((connection) => mount(App, { target, props: { connection } }));
