#!/usr/bin/env node
import { run } from '../dist/cli/cli.js';

run();
