// Rebalance page: show a buy line's suitability exception fields while the chosen product is rated
// above the client's risk level (its <option> carries data-unsuitable). Without this script the
// server shows them after a save attempt names the product.
document.querySelectorAll("select[data-product-for]").forEach((select) => {
  const box = document.querySelector(`[data-exception-for="${select.dataset.productFor}"]`);
  if (!box) {
    return;
  }
  const sync = () => {
    const option = select.options[select.selectedIndex];
    box.classList.toggle("d-none", !(option && option.dataset.unsuitable));
  };
  select.addEventListener("change", sync);
  sync();
});
