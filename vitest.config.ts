import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for what a user would see settle; under a loaded CI machine a page can take
    // longer than vitest's default second to lay out, so polls get the time locator waits get.
    expect: { poll: { timeout: 10_000 } },
    // Integration tests spawn real servers; two cores, so keep parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
    // electron-store imports electron; processed by Vite, it sees the desktop shell test's stand-in
    // (vi.mock) instead of the electron package, whose runtime cannot be downloaded here.
    server: { deps: { inline: ['electron-store'] } },
  },
});
