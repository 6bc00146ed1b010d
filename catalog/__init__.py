"""Catalogue: categories, products, product images and the buyer-facing pages."""
