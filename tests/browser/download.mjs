// Browser tests of /<channel>/download.htm: headless Debian chromium driven
// by playwright-core.  Run by tests/integration/www_browser.sh, which starts
// storesrv on the demo store; prints one line per check, "PASS name" or
// "FAIL name: why", and screenshots into ARTIFACTS.
//   node download.mjs BASE CHANNEL ARTIFACTS CHROMIUM BIG_CHANNEL
// BIG_CHANNEL holds 10,000 apps of one build each: the page shows a page of
// them at a time.
import { chromium } from "playwright-core";

const [base, channel, artifacts, executablePath, bigChannel] = process.argv.slice(2);
const pageUrl = `${base}/${channel}/download.htm`;
const TABS = [
  { name: "Apps", index: "apps.json", titles: d => d.apps.map(a => a.title || a.id) },
  { name: "Firmware", index: "firmware.json", titles: d => d.devices.map(x => x.id) },
  { name: "Software", index: "software.json", titles: d => d.software.map(a => a.title || a.id) },
  { name: "App Platform", index: "linux.json", titles: d => d.platforms.map(p => p.text || p.id) },
  { name: "Phone Platform", index: "phoneplatform.json", titles: d => d.platforms.map(p => p.text || p.id) },
];
const TIMEOUT = 10000;

function report(ok, name, why) {
  console.log(ok ? `PASS ${name}` : `FAIL ${name}: ${why}`);
}
async function check(name, fn) {
  try {
    const why = await fn();
    report(!why, name, why);
  } catch (e) {
    report(false, name, String(e.message || e).split("\n")[0]);
  }
}
async function getJSON(path) {
  const res = await fetch(`${base}/${channel}/${path}`);
  return res.json();
}
async function titlesShown(page) {
  return page.locator("#list .item .title").allTextContents();
}
async function showTab(page, name) {
  await page.getByRole("tab", { name, exact: true }).click();
  await page.waitForFunction(n => document.querySelector("[role=tab][aria-selected=true]")?.textContent === n
    && document.getElementById("panel").getAttribute("aria-busy") === "false", name, { timeout: TIMEOUT });
}
async function openAll(page) {
  for (const s of await page.locator("#list details.item > summary").all())
    await s.click();
}

async function main() {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 30000 });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const errors = [];
  page.on("console", m => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", e => errors.push(String(e)));
  const links = new Set();

  await check("page loads (200)", async () => {
    const res = await page.goto(pageUrl);
    await page.waitForSelector("#list .item");
    return res.status() === 200 ? "" : `HTTP ${res.status()}`;
  });
  for (const tab of TABS) {
    await check(`tab ${tab.name} shows the store's items`, async () => {
      await showTab(page, tab.name);
      const want = tab.titles(await getJSON(`download/${tab.index}`)).sort();
      const got = (await titlesShown(page)).sort();
      await openAll(page);
      for (const a of await page.locator("main a").all())
        links.add(new URL(await a.getAttribute("href"), pageUrl).href);
      await page.screenshot({ path: `${artifacts}/tab-${tab.name.replace(/ /g, "-")}.png`, fullPage: true });
      if (want.length === 0) return "the index lists no item";
      return JSON.stringify(want) === JSON.stringify(got) ? "" : `want ${want}, shown ${got}`;
    });
  }
  await check("builds show file sizes and sha256 from info.json", async () => {
    const info = await getJSON("info.json");
    await showTab(page, "Apps");
    await openAll(page);
    const row = page.locator("#list tr").first();
    const path = await row.locator("a").textContent();
    const build = (await page.locator("#list .build").first().textContent()).match(/build (\d+)/)[1];
    const rec = info.folders.find(f => f.folder === build)?.files.find(f => f.path === path);
    if (!rec) return `no record of ${build}/${path} in info.json`;
    const sha = await row.locator("td.sha").textContent();
    const size = await row.locator("td.size").textContent();
    const published = await page.locator("#list .build").first().textContent();
    if (sha !== rec.sha256) return `sha256 ${sha}, want ${rec.sha256}`;
    if (!/\d/.test(size)) return `size "${size}"`;
    return /published \d{4}-\d\d-\d\d/.test(published) ? "" : "no publish date";
  });
  await check("search filters the items", async () => {
    await showTab(page, "Apps");
    const all = (await titlesShown(page)).length;
    await page.fill("#search", "clock");
    const some = await titlesShown(page);
    await page.fill("#search", "no-such-item-xyz");
    const none = (await titlesShown(page)).length;
    await page.fill("#search", "");
    return all > 1 && some.length === 1 && some[0] === "Clock" && none === 0 ? "" :
      `all ${all}, "clock" ${some}, nonsense ${none}`;
  });
  await check("device and release filters", async () => {
    await showTab(page, "Firmware");
    await page.selectOption("#device", "IP222");
    const dev = await titlesShown(page);
    await page.selectOption("#device", "");
    await showTab(page, "Apps");
    const releases = await page.locator("#release option").allTextContents();
    return dev.length === 1 && dev[0] === "IP222" && releases.includes("13r1") ? "" :
      `device IP222 shows ${dev}; releases ${releases}`;
  });
  await check("a copy button copies its URL", async () => {
    const url = await page.locator(".url code").first().textContent();
    await page.locator(".url button").first().click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const want = `${base}/${channel}/download`;
    return copied === url && url === want ? "" : `copied "${copied}", shown "${url}", want "${want}"`;
  });
  await check("every link answers 200", async () => {
    const bad = [];
    for (const href of links) {
      const res = await fetch(href, { method: "HEAD" });
      if (res.status !== 200) bad.push(`${href} ${res.status}`);
    }
    return links.size < 10 ? `only ${links.size} links` : bad.join(", ");
  });
  await check("no console error", async () => errors.join("; "));

  await check("keyboard only: tabs, search and an item", async () => {
    const kb = await context.newPage();
    kb.setDefaultTimeout(TIMEOUT);
    await kb.goto(pageUrl);
    await kb.waitForSelector("#list .item");
    const role = () => kb.evaluate(() => document.activeElement?.getAttribute("role") || document.activeElement?.tagName);
    for (let i = 0; i < 20 && await role() !== "tab"; i++) await kb.keyboard.press("Tab");
    await kb.keyboard.press("ArrowRight");
    await kb.waitForFunction(() => document.activeElement?.textContent === "Firmware" &&
      document.querySelector("[role=tab][aria-selected=true]")?.textContent === "Firmware" &&
      document.getElementById("panel").getAttribute("aria-busy") === "false");
    await kb.keyboard.press("Tab");
    if (await role() !== "INPUT") return `after the tabs the focus is on ${await role()}`;
    await kb.keyboard.type("222");
    for (let i = 0; i < 10 && await role() !== "SUMMARY"; i++) await kb.keyboard.press("Tab");
    await kb.keyboard.press("Enter");
    await kb.waitForSelector("#list details[open] .build a");
    await kb.keyboard.press("Tab");
    const focused = await kb.evaluate(() => document.activeElement?.getAttribute("href") || "");
    const shown = await titlesShown(kb);
    await kb.screenshot({ path: `${artifacts}/keyboard.png`, fullPage: true });
    await kb.close();
    return shown.length === 1 && shown[0] === "IP222" && /download\/\d+\/.*222/.test(focused) ? "" :
      `items ${shown}, focused link "${focused}"`;
  });
  await check("narrow (phone) viewport: no sideways scrolling", async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    p.setDefaultTimeout(TIMEOUT);
    await p.goto(pageUrl);
    await p.waitForSelector("#list .item");
    await openAll(p);
    const [scroll, width] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    await p.screenshot({ path: `${artifacts}/phone.png`, fullPage: true });
    await phone.close();
    return scroll <= width ? "" : `page is ${scroll} px wide in ${width}`;
  });
  await check("10,000 builds: one page of 50 items, search across all", async () => {
    const big = await context.newPage();
    big.setDefaultTimeout(TIMEOUT);
    await big.goto(`${base}/${bigChannel}/download.htm`);
    await big.waitForFunction(() => document.getElementById("panel").getAttribute("aria-busy") === "false");
    const shown = (await titlesShown(big)).length;
    const pages = await big.locator("#page").textContent();
    await big.fill("#search", "app 9999 ");
    const found = await titlesShown(big);
    await big.locator("#list summary").first().click();
    await big.waitForSelector("#list details[open] td.sha");
    const files = await big.locator("#list td.sha").count();
    await big.close();
    return shown === 50 && pages === "page 1 of 200" && found.length === 1 && files === 2 ? "" :
      `${shown} shown, "${pages}", search found ${found}, ${files} files`;
  });
  await check("the status page renders, with the store's channel and no console error", async () => {
    const st = await context.newPage();
    const stErrors = [];
    st.on("console", m => { if (m.type() === "error") stErrors.push(m.text()); });
    st.on("pageerror", e => stErrors.push(String(e)));
    const res = await st.goto(`${base}/status`);
    const title = await st.locator("h1").textContent();
    const tables = await st.locator("table").count();
    const text = await st.locator("body").textContent();
    await st.screenshot({ path: `${artifacts}/status.png`, fullPage: true });
    await st.close();
    return res.status() === 200 && title === "storesrv status" && tables > 0 &&
      text.includes(channel) && stErrors.length === 0 ? "" :
      `HTTP ${res.status()}, title "${title}", ${tables} tables, channel shown: ${text.includes(channel)}, errors: ${stErrors.join("; ")}`;
  });
  await browser.close();
}

main().catch(e => { report(false, "browser run", String(e.message || e).split("\n")[0]); process.exit(1); });
