"""Knowledge base models (SPEC §8): articles in categories, searchable."""
