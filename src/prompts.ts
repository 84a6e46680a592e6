// Interactive questions, one per schema field, with the same validation as flags. Loaded only when interactive.
import input from '@inquirer/input';
import select from '@inquirer/select';
import type { Ask } from './answers.js';

export const ask: Ask = async (field, defaultValue, validate) => {
  if (field.choices) {
    return select({
      // A default for a choice comes only from the directory's name (vault-plugin-<type>-…): say where it came from.
      message: defaultValue ? `${field.message} (${defaultValue}, from the directory name)` : field.message,
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

/** The project directory, asked again while `check` returns why it cannot be used (a non-empty one, say). */
export async function askDirectory(suggested: string, check: (value: string) => string | true): Promise<string> {
  return input({ message: 'Project directory', default: suggested, validate: check });
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
