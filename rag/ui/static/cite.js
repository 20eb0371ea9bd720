// Clicking [n] brings its source into view and marks it; works for answers streamed in later too.
document.addEventListener("click", function (event) {
  const link = event.target.closest("a.cite");
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const target = document.getElementById(link.getAttribute("href").slice(1));
  if (!target) return;
  document.querySelectorAll("#sources .src.active").forEach(function (el) { el.classList.remove("active"); });
  target.classList.add("active");
  target.scrollIntoView({behavior: "smooth", block: "center"});
}, true);
