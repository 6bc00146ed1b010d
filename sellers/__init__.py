"""Sellers: shop profiles and the seller back office."""
