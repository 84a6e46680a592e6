// Interactive questions, one per schema field, with the same validation as flags. Loaded only when interactive.
import input from '@inquirer/input';
import select from '@inquirer/select';
import type { Ask } from './answers.js';

export const ask: Ask = async (field, defaultValue, validate) => {
  if (field.choices) {
    return select({
      message: field.message,
      choices: field.choices.map((c) => ({ name: `${c.value}  ${c.hint}`, value: c.value, short: c.value })),
      default: defaultValue,
    });
  }
  return input({
    message: field.message,
    default: defaultValue,
    validate: (value) => validate(value) ?? true,
  });
};

export async function askDirectory(): Promise<string> {
  return input({
    message: 'Project directory',
    validate: (value) => (value.trim() === '' ? 'a directory is needed, e.g. vault-plugin-secrets-demo' : true),
  });
}

/** A yes/no question; no unless the user says yes. */
export async function confirm(message: string): Promise<boolean> {
  const answer = await select({
    message,
    choices: [
      { name: 'no, leave the file as it is', value: 'no', short: 'no' },
      { name: 'yes, merge it into my file', value: 'yes', short: 'yes' },
    ],
    default: 'no',
  });
  return answer === 'yes';
}
