// Text that is safe to print: the one escaping function for attacker-controlled strings.
export { escapeText, quoteName } from './escape';
