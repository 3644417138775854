"""Handset stock: 终端入库 (scanned or a delivery file) and the per-model 终端库存 list."""
