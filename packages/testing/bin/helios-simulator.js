#!/usr/bin/env node
// Entry shim: present before the first build, so npm links the `helios-simulator` command at install time.
import '../dist/simulator-bin.js';
