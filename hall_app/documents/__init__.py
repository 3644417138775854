"""Printed documents built with reportlab: receipt, acceptance form, invoice."""
