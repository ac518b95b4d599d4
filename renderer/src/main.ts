import { mount } from 'svelte';
import App from './App.svelte';
import { connect } from './lib/api.ts';
import './app.css';

const target = document.getElementById('app')!;
void connect().then((connection) => mount(App, { target, props: { connection } }));
