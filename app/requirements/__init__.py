"""Requirements checked by the product: portfolio records, the rules of each requirement line, and results."""
