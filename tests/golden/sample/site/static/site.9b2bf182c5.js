// Progressive enhancement only: every page reads completely without this file.
document.documentElement.classList.add("js");
for (const button of document.querySelectorAll("[data-copy-link]")) {
  // The copy-link button is hidden in the HTML and only shown when it can work.
  if (!navigator.clipboard) continue;
  button.hidden = false;
  const status = document.getElementById(button.getAttribute("aria-controls"));
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copyLink);
      if (status) status.textContent = "Link copied.";
    } catch (err) {
      if (status) status.textContent = "Could not copy; the address is " + button.dataset.copyLink;
    }
  });
}
