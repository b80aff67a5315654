// Small enhancement: changing mode or a filter re-runs the current search at once.
document.querySelectorAll(".options input[type=radio], .options select").forEach((input) => {
  input.addEventListener("change", () => {
    const form = input.form;
    if (form.querySelector("#q").value.trim()) form.requestSubmit();
  });
});
