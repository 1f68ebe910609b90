// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  const token = document.getElementById("new-token");
  if (token) {
    token.title = "Click to select";
    token.addEventListener("click", () => window.getSelection().selectAllChildren(token));
  }
});
