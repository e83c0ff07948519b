"""Text and image encoders. Import the submodules: heavy libraries load only when used."""
