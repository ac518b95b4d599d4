/**
 * Writes the app and tray icons in resources/ from the SVG sources in resources/src/ (the table in
 * resources/README.md): `npm run icons`. Every PNG is rendered from SVG at its own size (resvg);
 * icon.icns is made by png2icons from the 1024 px PNG; the ICO files are put together here from
 * per-size renders (png2icons can only downscale one master into its fixed list of nine sizes).
 * Same sources, same bytes: nothing time-dependent goes into the files and a rerun writes nothing
 * new. A new resvg or png2icons (or, possibly, another CPU architecture) may rasterise a little
 * differently: then regenerate and commit.
 *
 * `--check` writes nothing and exits 1 naming every file that is missing, differs from what would
 * be written, or sits in a generated folder without a source; test/unit/resources/icons.test.ts
 * runs the same check through checkIcons().
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Resvg, type RenderedImage } from '@resvg/resvg-js';
import { BICUBIC, clearCache, createICNS } from 'png2icons';

const RESOURCES_DIR = path.resolve(import.meta.dirname, '../resources');
const SRC_DIR = path.join(RESOURCES_DIR, 'src');

/** Tray states, each with resources/src/tray/{state}.svg (colour) and {state}Template.svg (macOS). */
const TRAY_STATES = ['idle', 'ok', 'warning', 'error', 'question', 'paused'] as const;
/** Images in resources/icon.ico. */
const APP_ICO_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;
/** resources/icons/NxN.png, for Linux. */
const LINUX_ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512] as const;
/** resources/tray/{state}{suffix}.png and {state}Template{suffix}.png: 16 px, 32 px for HiDPI. */
const TRAY_PNG_SIZES = [
  ['', 16],
  ['@2x', 32],
] as const;
/** Images in resources/tray/{state}.ico, for the Windows tray (100 % to 300 % scaling). */
const TRAY_ICO_SIZES = [16, 24, 32, 48] as const;
/** Up to this size the app icon is rendered from icon-small.svg, above it from icon.svg. */
const SMALL_ICON_MAX = 32;
/** ICO images below this size are bitmaps (older readers expect them), the rest PNG, like png2icons' forWinExe. */
const ICO_PNG_MIN = 64;
/** Folders whose every file comes from this script; anything else in them is stale. */
const GENERATED_DIRS = ['icons', 'tray'] as const;

function render(svg: string, size: number, source: string): RenderedImage {
  const image = new Resvg(svg, {
    fitTo: { mode: 'width', value: size },
    font: { loadSystemFonts: false },
    logLevel: 'off',
  }).render();
  if (image.width !== size || image.height !== size) {
    throw new Error(`${source}: renders ${image.width}x${image.height} at width ${size}; it must be square`);
  }
  return image;
}

/** A macOS template image may hold black and transparency only: macOS tints it by its alpha. */
function assertBlackAndAlpha(image: RenderedImage, source: string): void {
  // resvg's pixels are premultiplied RGBA: black at any opacity has zero colour channels.
  const px = image.pixels;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i] !== 0 || px[i + 1] !== 0 || px[i + 2] !== 0) {
      throw new Error(`${source}: a template image must draw in black only (pixel ${i / 4} is not black)`);
    }
  }
}

/** A 32-bit BGRA bitmap as ICO image data: BITMAPINFOHEADER, bottom-up rows, then the 1-bit AND mask. */
function icoBitmap(image: RenderedImage): Buffer {
  const { width: w, height: h } = image;
  const px = image.pixels;
  const maskStride = Math.ceil(w / 32) * 4;
  const colourBytes = w * h * 4;
  const out = Buffer.alloc(40 + colourBytes + maskStride * h);
  out.writeUInt32LE(40, 0); // header size
  out.writeInt32LE(w, 4);
  out.writeInt32LE(h * 2, 8); // colour rows plus mask rows
  out.writeUInt16LE(1, 12); // planes
  out.writeUInt16LE(32, 14); // bits per pixel; compression (16) stays 0, BI_RGB
  out.writeUInt32LE(colourBytes + maskStride * h, 20);
  for (let y = 0; y < h; y++) {
    const row = h - 1 - y;
    for (let x = 0; x < w; x++) {
      const src = (y * w + x) * 4;
      const a = px[src + 3]!;
      // Icon bitmaps take straight alpha; resvg's pixels are premultiplied.
      const straight = (c: number): number => (a === 0 ? 0 : Math.min(255, Math.round((c * 255) / a)));
      const dst = 40 + (row * w + x) * 4;
      out[dst] = straight(px[src + 2]!);
      out[dst + 1] = straight(px[src + 1]!);
      out[dst + 2] = straight(px[src]!);
      out[dst + 3] = a;
      // Fully transparent pixels are also set in the AND mask, for readers that ignore alpha.
      if (a === 0) out[40 + colourBytes + row * maskStride + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return out;
}

/** An ICO file: ICONDIR, one ICONDIRENTRY per image, then the images (bitmaps when small, else PNG). */
function ico(images: readonly RenderedImage[]): Buffer {
  const blobs = images.map((image) => (image.width < ICO_PNG_MIN ? icoBitmap(image) : image.asPng()));
  const head = Buffer.alloc(6 + 16 * images.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2); // type 1: icon
  head.writeUInt16LE(images.length, 4);
  let offset = head.length;
  images.forEach((image, i) => {
    const entry = 6 + 16 * i;
    const blob = blobs[i]!;
    head.writeUInt8(image.width >= 256 ? 0 : image.width, entry); // 0 means 256
    head.writeUInt8(image.height >= 256 ? 0 : image.height, entry + 1);
    head.writeUInt16LE(1, entry + 4); // colour planes
    head.writeUInt16LE(32, entry + 6); // bits per pixel
    head.writeUInt32LE(blob.length, entry + 8);
    head.writeUInt32LE(offset, entry + 12);
    offset += blob.length;
  });
  return Buffer.concat([head, ...blobs]);
}

function icns(png1024: Buffer): Buffer {
  // png2icons caches its input and scaled images between calls; start and leave it clean.
  clearCache();
  const out = createICNS(png1024, BICUBIC, 0);
  clearCache();
  if (out === null) throw new Error('png2icons could not make icon.icns');
  return out;
}

async function source(name: string): Promise<{ svg: string; name: string }> {
  return { svg: await readFile(path.join(SRC_DIR, name), 'utf8'), name: `resources/src/${name}` };
}

/** Every generated file, keyed by its path under resources/ (forward slashes), in a stable order. */
export async function buildIcons(): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const large = await source('icon.svg');
  const small = await source('icon-small.svg');
  const app = (size: number): RenderedImage => {
    const from = size <= SMALL_ICON_MAX ? small : large;
    return render(from.svg, size, from.name);
  };

  const master = app(1024).asPng();
  files.set('icon.png', master);
  files.set('icon.icns', icns(master));
  files.set('icon.ico', ico(APP_ICO_SIZES.map(app)));
  for (const size of LINUX_ICON_SIZES) files.set(`icons/${size}x${size}.png`, app(size).asPng());

  for (const state of TRAY_STATES) {
    const template = await source(`tray/${state}Template.svg`);
    const colour = await source(`tray/${state}.svg`);
    for (const [suffix, size] of TRAY_PNG_SIZES) {
      const image = render(template.svg, size, template.name);
      assertBlackAndAlpha(image, template.name);
      files.set(`tray/${state}Template${suffix}.png`, image.asPng());
    }
    for (const [suffix, size] of TRAY_PNG_SIZES) {
      files.set(`tray/${state}${suffix}.png`, render(colour.svg, size, colour.name).asPng());
    }
    files.set(`tray/${state}.ico`, ico(TRAY_ICO_SIZES.map((size) => render(colour.svg, size, colour.name))));
  }
  return files;
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Files in the generated folders that this script does not write (e.g. left from a removed state). */
async function strayFiles(files: ReadonlyMap<string, Buffer>): Promise<string[]> {
  const stray: string[] = [];
  for (const dir of GENERATED_DIRS) {
    let names: string[];
    try {
      names = await readdir(path.join(RESOURCES_DIR, dir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const name of names.sort()) if (!files.has(`${dir}/${name}`)) stray.push(`${dir}/${name}`);
  }
  return stray;
}

/** What is wrong with the committed icons, one line per file; empty when they are up to date. */
export async function checkIcons(): Promise<string[]> {
  const files = await buildIcons();
  const problems: string[] = [];
  for (const [file, data] of files) {
    const committed = await readIfExists(path.join(RESOURCES_DIR, file));
    if (committed === undefined) problems.push(`resources/${file}: missing`);
    else if (!committed.equals(data)) problems.push(`resources/${file}: differs from its source`);
  }
  for (const file of await strayFiles(files)) problems.push(`resources/${file}: not generated by this script`);
  return problems;
}

/** Writes every generated file whose bytes changed; returns one line per file for the log. */
export async function writeIcons(): Promise<string[]> {
  const files = await buildIcons();
  const lines: string[] = [];
  let total = 0;
  for (const [file, data] of files) {
    const target = path.join(RESOURCES_DIR, file);
    total += data.length;
    const committed = await readIfExists(target);
    if (committed?.equals(data)) {
      lines.push(`unchanged resources/${file} (${data.length} bytes)`);
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data);
    lines.push(`wrote     resources/${file} (${data.length} bytes)`);
  }
  lines.push(`${files.size} files, ${total} bytes`);
  for (const file of await strayFiles(files)) lines.push(`stray     resources/${file}: not generated, delete it`);
  return lines;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args.length === 1 && args[0] === '--check') {
    const problems = await checkIcons();
    for (const problem of problems) console.error(problem);
    if (problems.length > 0) {
      console.error(`${problems.length} icon file(s) out of date: run npm run icons`);
      process.exitCode = 1;
    } else {
      console.log('icons up to date');
    }
  } else if (args.length === 0) {
    for (const line of await writeIcons()) console.log(line);
  } else {
    console.error('usage: node scripts/generate-icons.ts [--check]');
    process.exitCode = 2;
  }
}
