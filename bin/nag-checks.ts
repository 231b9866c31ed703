/**
 * cdk-nag's AWS Solutions rules as the app registers them. Kept apart from the stacks'
 * modules: loading cdk-nag and starting its rules engine takes seconds, which only the
 * app and the tests that read its findings should pay.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * cdk-nag 3 is a policy validation plugin: its findings print at the end of synth,
 * an error fails it, and all of them land in cdk.out/validation-report.json.
 */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}
