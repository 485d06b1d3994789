/**
 * Debian's Chromium for the browser test of the approvals inbox (the browser downloads of
 * Playwright and Puppeteer cannot work here): CHROMIUM_PATH, else `chromium` on PATH,
 * else `apt-get install chromium`. Run directly, it provisions it and prints its path.
 */
import { aptInstall, findOnPath, isExecutableFile } from './provision';

function log(message: string): void {
  process.stderr.write(`[chromium] ${message}\n`);
}

function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!isExecutableFile(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but that is not an executable file`);
    return fromEnv;
  }
  return findOnPath('chromium') ?? findOnPath('chromium-browser');
}

export function ensureChromium(): string {
  const found = findChromium();
  if (found) return found;
  log('Chromium is not installed');
  aptInstall(['chromium'], log);
  const installed = findChromium();
  if (!installed) throw new Error('apt-get installed chromium, but there is no chromium on PATH: set CHROMIUM_PATH');
  return installed;
}

if (require.main === module) {
  try {
    process.stdout.write(`${ensureChromium()}\n`);
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
