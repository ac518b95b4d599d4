/**
 * Electron entry: builds the engine and the desktop shell and wires them together. No logic here
 * (it lives in main/app and main/engine). May import only electron, main/app/** and
 * main/engine/index.ts.
 */
import { runDesktopApp } from './app/desktop.ts';
import { desktopGatewayOptions } from './app/gateway-options.ts';
import { createGateway, type Gateway } from './engine/index.ts';

runDesktopApp({
  // Annotated so the compiler checks that the engine's Gateway fits the shell's DesktopGateway.
  createGateway: (clientInstalls): Gateway => createGateway(desktopGatewayOptions(clientInstalls)),
});
