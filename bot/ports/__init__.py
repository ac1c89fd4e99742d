"""The ports: what the core needs from the outside world (a transport to reach people,
a scheduler, the priority of a send), with no messenger's types in them."""
