"""A chat room with rooms, written once per framework as ordinary WebSocket code (see
examples/README.md for the protocol): room.py holds the shared, framework-free part."""
