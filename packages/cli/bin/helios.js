#!/usr/bin/env node
// Entry shim: present before the first build, so npm links the `helios` command at install time.
import '../dist/bin.js';
