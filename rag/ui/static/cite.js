// [n] in an answer brings that answer's own source card into view, opened, with the quote marked;
// "back to the answer" returns to the marker. Delegated from the document, so it works for every
// answer, including those streamed in later and the earlier ones of the conversation.
document.addEventListener("click", function (event) {
  const cite = event.target.closest("a.cite[data-cite]");
  const back = event.target.closest("a.back[data-back]");
  if (!cite && !back) return;
  event.preventDefault();
  event.stopPropagation();
  if (back) {
    const marker = document.querySelector('a.cite[data-cite="' + back.dataset.back + '"]');
    if (marker) marker.scrollIntoView({ block: "center" });
    return;
  }
  const key = cite.dataset.cite;
  const card = document.querySelector('[data-source~="' + key + '"]');
  if (!card) return;
  const box = card.closest("details");
  if (box) box.open = true;
  document.querySelectorAll(".card.active").forEach(function (el) { el.classList.remove("active"); });
  card.classList.add("active");
  card.querySelector("a.back").dataset.back = key;
  const n = key.split("-")[1];
  const mark = card.querySelector('mark[data-n="' + n + '"]') || card;
  card.scrollIntoView({ block: "nearest" });
  mark.scrollIntoView({ block: "center" });
}, true);

// A new answer (or the "searching" line before it) comes into view from its start; opening a card
// adds no answer, so it never moves the page away from the source just brought into view.
(function () {
  let last = null;
  new MutationObserver(function () {
    const answers = document.querySelectorAll("#chat .answer, #chat .draft");
    const newest = answers[answers.length - 1] || null;
    if (newest && newest !== last) newest.scrollIntoView({ block: "nearest" });
    last = newest;
  }).observe(document.documentElement, { childList: true, subtree: true });
})();

// A calendar beside each date filter: the day picked is written into the text box, which also takes
// "2024" or "2024-11".
(function () {
  function equip(box) {
    const text = box.querySelector("input, textarea");
    if (!text || box.querySelector("input.picker")) return;
    const picker = document.createElement("input");
    picker.type = "date";
    picker.className = "picker";
    picker.title = "Pick a day";
    picker.setAttribute("aria-label", "Pick a day");
    picker.addEventListener("change", function () {
      text.value = picker.value;
      text.dispatchEvent(new Event("input", { bubbles: true }));
    });
    text.insertAdjacentElement("afterend", picker);
  }
  new MutationObserver(function () {
    document.querySelectorAll(".date").forEach(equip);
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
