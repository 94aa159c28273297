// Client-side search with Pagefind: no server. Results are announced politely
// to screen readers through the aria-live region.
const form = document.getElementById("search-form");
const input = document.getElementById("search-input");
const results = document.getElementById("search-results");
const status = document.getElementById("search-status");
const root = new URL(form.dataset.root, location.href);
let pagefind = null;

const bundles = form.dataset.index;      // e.g. "search/index/"
const shards = (form.dataset.shards || "").split(",").filter(Boolean);   // "0,3,7": comma-separated, never phone-shaped

async function load() {
  if (!pagefind) {
    // The index is split into shards (so an edit re-indexes only one); shard 0 is
    // the primary index and the others are merged into it.
    pagefind = await import(new URL(`${bundles}${shards[0]}/pagefind.js`, root).href);
    // Result URLs are root-relative to where the site is served.
    await pagefind.options({ baseUrl: root.pathname });
    for (const n of shards.slice(1)) {
      await pagefind.mergeIndex(new URL(`${bundles}${n}/`, root).href, { baseUrl: root.pathname });
    }
  }
  return pagefind;
}

function show(items) {
  results.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    const h = document.createElement("h2");
    const a = document.createElement("a");
    a.href = item.url;
    a.textContent = item.meta.title || item.url;
    h.appendChild(a);
    const p = document.createElement("p");
    // Pagefind marks matches with <mark>; build the excerpt as text nodes so
    // nothing from the index is ever parsed as HTML.
    const parts = item.excerpt.split(/<\/?mark>/);
    parts.forEach((part, i) => {
      const text = document.createTextNode(part.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&"));
      if (i % 2 === 1) { const m = document.createElement("mark"); m.appendChild(text); p.appendChild(m); }
      else p.appendChild(text);
    });
    li.append(h, p);
    results.appendChild(li);
  }
}

async function run(term) {
  if (!term.trim() || !shards.length) { results.replaceChildren(); status.textContent = ""; return; }
  const pf = await load();
  const found = await pf.search(term);
  const items = await Promise.all(found.results.slice(0, 20).map((r) => r.data()));
  show(items);
  status.textContent = items.length === 1 ? "1 story found." : `${items.length} stories found.`;
}

form.hidden = false;
document.getElementById("search-nojs").hidden = true;
form.addEventListener("submit", (event) => { event.preventDefault(); run(input.value); });
const initial = new URLSearchParams(location.search).get("q");
if (initial) { input.value = initial; run(initial); }
