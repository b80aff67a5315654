// Small enhancements; every page works without them.
// Changing mode, sort or a filter re-runs the current search (or listing) at once.
document.querySelectorAll(".options input[type=radio], .options select").forEach((input) => {
  input.addEventListener("change", () => input.form.requestSubmit());
});
// A copy button for the BibTeX entry (shown only where the clipboard can be written).
document.querySelectorAll("button.copy").forEach((button) => {
  if (!navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(document.getElementById(button.dataset.copy).textContent);
    button.textContent = "Copied";
  });
});
