/**
 * The icons in resources/ (resources/README.md): up to date with their SVG sources (stale: run
 * `npm run icons`), at the sizes the README lists, in formats the platforms read, and present for
 * every tray state on every platform.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { trayIconFile, type TrayHealth } from '../../../main/app/tray/menu-model.ts';
import { checkIcons } from '../../../scripts/generate-icons.ts';

const RESOURCES = path.resolve(import.meta.dirname, '../../../resources');
/** Written out here rather than taken from the generator, so a state dropped there fails here. */
const TRAY_STATES: readonly string[] = ['idle', 'ok', 'warning', 'error', 'question', 'paused'];
const PLATFORMS = ['darwin', 'win32', 'linux'] as const;
/** Pixels (of 256) in which two tray states at 16 px must differ clearly. */
const MIN_DIFFERENT_PIXELS = 10;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const read = (file: string): Promise<Buffer> => readFile(path.join(RESOURCES, file));

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature').toBe(true);
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Pixels of an 8-bit RGBA, non-interlaced PNG (what the generator writes), straight alpha. */
function pngPixels(png: Buffer): Buffer {
  const { width, height } = pngSize(png);
  expect([png[24], png[25], png[28]], 'bit depth 8, colour type RGBA, not interlaced').toEqual([8, 6, 0]);
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 4 ? out[y * stride + x - 4]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4]! : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter ?? -1];
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter}`);
      out[y * stride + x] = (v + predictor) & 0xff;
    }
  }
  return out;
}

/** Width of every image in an ICO file, checked against the image data it points at. */
function icoSizes(ico: Buffer): number[] {
  expect([ico.readUInt16LE(0), ico.readUInt16LE(2)], 'ICONDIR reserved 0, type 1').toEqual([0, 1]);
  const sizes: number[] = [];
  for (let i = 0; i < ico.readUInt16LE(4); i++) {
    const entry = 6 + 16 * i;
    const width = ico[entry] || 256;
    const height = ico[entry + 1] || 256;
    expect(height).toBe(width);
    const data = ico.subarray(ico.readUInt32LE(entry + 12), ico.readUInt32LE(entry + 12) + ico.readUInt32LE(entry + 8));
    if (data.subarray(0, 8).equals(PNG_SIGNATURE)) {
      expect(pngSize(data)).toEqual({ width, height });
    } else {
      // BITMAPINFOHEADER: 40 bytes, height counts the colour rows and the AND mask, 32 bits per pixel.
      expect([data.readUInt32LE(0), data.readInt32LE(4), data.readInt32LE(8), data.readUInt16LE(14)]).toEqual([
        40,
        width,
        height * 2,
        32,
      ]);
    }
    sizes.push(width);
  }
  return sizes;
}

describe('resources/ icons', () => {
  it('are what scripts/generate-icons.ts makes of resources/src/ (else run npm run icons)', async () => {
    expect(await checkIcons()).toEqual([]);
  });

  it('app icon: a 1024 px PNG, an ICNS and an ICO with the listed sizes', async () => {
    expect(pngSize(await read('icon.png'))).toEqual({ width: 1024, height: 1024 });
    const icns = await read('icon.icns');
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    expect(icoSizes(await read('icon.ico'))).toEqual([16, 24, 32, 48, 64, 128, 256]);
  });

  it('Linux icons: icons/NxN.png from 16 to 512 px', async () => {
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512]) {
      expect(pngSize(await read(`icons/${size}x${size}.png`)), `${size}x${size}`).toEqual({
        width: size,
        height: size,
      });
    }
  });

  it('tray: 16 px images with 32 px @2x, and an ICO of 16 to 48 px, for every state', async () => {
    for (const state of TRAY_STATES) {
      for (const name of [`${state}Template`, state]) {
        expect(pngSize(await read(`tray/${name}.png`)), name).toEqual({ width: 16, height: 16 });
        expect(pngSize(await read(`tray/${name}@2x.png`)), `${name}@2x`).toEqual({ width: 32, height: 32 });
      }
      expect(icoSizes(await read(`tray/${state}.ico`)), `${state}.ico`).toEqual([16, 24, 32, 48]);
    }
  });

  it('tray: every file trayIconFile names exists, for every state and platform', () => {
    for (const state of TRAY_STATES) {
      for (const platform of PLATFORMS) {
        const file = trayIconFile(state as TrayHealth, platform);
        expect(existsSync(path.join(RESOURCES, file)), `${state} on ${platform}: ${file}`).toBe(true);
        const hiDpi = file.replace(/\.png$/, '@2x.png');
        expect(existsSync(path.join(RESOURCES, hiDpi)), `${state} on ${platform}: ${hiDpi}`).toBe(true);
      }
    }
  });

  it('tray templates are black and alpha only', async () => {
    for (const state of TRAY_STATES) {
      for (const file of [`tray/${state}Template.png`, `tray/${state}Template@2x.png`]) {
        const pixels = pngPixels(await read(file));
        const coloured: number[] = [];
        let opaque = 0;
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i] !== 0 || pixels[i + 1] !== 0 || pixels[i + 2] !== 0) coloured.push(i / 4);
          if (pixels[i + 3] === 255) opaque++;
        }
        expect(coloured, `${file}: pixels that are not black`).toEqual([]);
        expect(opaque, `${file} draws something`).toBeGreaterThan(0);
      }
    }
  });

  it('tray: at 16 px every state differs from every other in at least a few pixels', async () => {
    for (const kind of ['Template', '']) {
      const images = await Promise.all(
        TRAY_STATES.map(async (state) => ({ state, pixels: pngPixels(await read(`tray/${state}${kind}.png`)) })),
      );
      for (const [i, one] of images.entries()) {
        for (const other of images.slice(i + 1)) {
          let differ = 0;
          for (let p = 0; p < one.pixels.length; p += 4) {
            let distance = 0;
            for (let c = 0; c < 4; c++) distance += Math.abs(one.pixels[p + c]! - other.pixels[p + c]!);
            if (distance >= 128) differ++;
          }
          expect(differ, `tray/${one.state}${kind}.png vs ${other.state}${kind}.png`).toBeGreaterThanOrEqual(
            MIN_DIFFERENT_PIXELS,
          );
        }
      }
    }
  });
});
