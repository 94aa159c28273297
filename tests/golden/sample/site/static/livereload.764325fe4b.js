// Only included by `storygen serve`: reload when the preview has been rebuilt.
// The server sends the current build number on connect and each new one after.
(() => {
  let current = null;
  const source = new EventSource("/__storygen/events");
  source.addEventListener("build", (event) => {
    if (current === null) current = event.data;
    else if (event.data !== current) location.reload();
  });
})();
