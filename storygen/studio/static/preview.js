// storygen studio, helper "preview": live reload of the page preview, and the progress of a
// draft video render and of a site build. Every page works without this file: the forms post
// normally and the pages show the state on a refresh.
(() => {
  "use strict";

  const getJSON = async (url) => {
    const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) throw new Error(await response.text());
    return response.json();
  };

  // Post a form in the background; the server answers 202 with the job's status, or says why not.
  const postForm = async (form) => {
    const response = await fetch(form.action, {
      method: "POST", body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" }, cache: "no-store",
    });
    if (response.status !== 202) throw new Error(await response.text());
    return response.json();
  };

  const say = (element, text) => {
    element.replaceChildren();
    const p = document.createElement("p");
    p.textContent = text;
    element.append(p);
    return p;
  };

  // --- the page preview: reload the frame when a project file changed -------------------------
  const frame = document.querySelector("iframe[data-preview-version]");
  if (frame) {
    let version = frame.dataset.previewVersion;
    const status = document.getElementById("preview-status");
    setInterval(async () => {
      try {
        const now = (await getJSON("/preview/version")).version;
        if (now !== version) {
          version = now;
          frame.src = frame.getAttribute("src");
          if (status) status.textContent = "Reloaded after a change on disk at " + new Date().toLocaleTimeString() + ".";
        }
      } catch (err) { /* the studio stopped: nothing to reload */ }
    }, 2000);
  }

  // --- a draft video render -------------------------------------------------------------------
  const render = document.getElementById("render");
  const followRender = () => {
    const bar = document.createElement("progress");
    bar.max = 100; bar.value = 0; bar.id = "render-progress";
    const label = document.createElement("label");
    label.htmlFor = "render-progress";
    const text = document.createElement("span");
    const line = document.createElement("p");
    line.setAttribute("role", "status");
    line.append(label, " ", bar, " ", text);
    render.replaceChildren(line);
    const tick = async () => {
      let status;
      try { status = await getJSON("/render/status"); } catch (err) { return; }
      label.textContent = "Rendering the " + status.format + " draft";
      bar.value = status.percent;
      text.textContent = status.percent + "% (" + status.done + " of " + status.total + " frames)";
      if (status.state === "running") setTimeout(tick, 500);
      else location.reload();               // the page shows the video, or why it stopped
    };
    tick();
  };
  if (render) {
    for (const form of document.querySelectorAll("form.render-form")) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try { await postForm(form); followRender(); } catch (err) { say(render, err.message).className = "bad"; }
      });
    }
    if (render.dataset.running) followRender();
  }

  // --- building the site ----------------------------------------------------------------------
  const publish = document.getElementById("publish");
  const followBuild = () => {
    const box = publish.querySelector(".publish-status");
    const button = publish.querySelector("form.publish-form button");
    if (button) button.disabled = true;
    const line = say(box, "");
    const label = document.createElement("label");
    label.htmlFor = "publish-progress";
    label.textContent = "Building";
    const bar = document.createElement("progress");
    bar.id = "publish-progress";
    const text = document.createElement("span");
    line.append(label, " ", bar, " ", text);
    const tick = async () => {
      let status;
      try { status = await getJSON("/publish/status"); } catch (err) { return; }
      const last = status.lines.length ? ": " + status.lines[status.lines.length - 1] : "";
      text.textContent = status.seconds + " s so far" + last;
      if (status.state === "running") setTimeout(tick, 700);
      else {                                          // the result, as the server shows it
        history.replaceState(null, "", "/stories#publish");
        location.reload();
      }
    };
    tick();
  };
  if (publish) {
    const form = publish.querySelector("form.publish-form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try { await postForm(form); followBuild(); }
      catch (err) { say(publish.querySelector(".publish-status"), err.message).className = "bad"; }
    });
    if (publish.dataset.publishState === "running") followBuild();
  }
})();
